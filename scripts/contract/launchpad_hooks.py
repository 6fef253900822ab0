"""Schemathesis hooks for the contract check (scripts/check-contract.sh).

Two things the run must not do, and one rule JSON Schema cannot say:

* It must not lock itself out. It learns ids from responses, so it would in
  time delete the user it signs in as or revoke its own token. A request
  naming either (CONTRACT_PROTECTED_IDS) is sent with a fresh random id
  instead, which answers 404 like any other missing record.
* A password's strength (zxcvbn: not common, not built from the email) is
  beyond a schema. A 400 that refuses only the password for that reason is
  not a valid request rejected; any other 400 still fails the run.
"""

import os
import uuid

import schemathesis

PROTECTED = {
    i.strip().lower()
    for i in os.environ.get("CONTRACT_PROTECTED_IDS", "").split(",")
    if i.strip()
}

GUESSABLE = (
    "password is too common",
    "password must not contain the email",
)


@schemathesis.hook
def before_call(context, case, kwargs):
    params = case.path_parameters or {}
    for name in ("userId", "tokenId"):
        if str(params.get(name, "")).lower() in PROTECTED:
            params[name] = str(uuid.uuid4())


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if response.status_code != 400 or type(failure).__name__ != "RejectedPositiveData":
        return True
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return True
    only_strength = errors and all(
        e.get("field") == "password" and str(e.get("message", "")).startswith(GUESSABLE)
        for e in errors
    )
    return not only_strength
