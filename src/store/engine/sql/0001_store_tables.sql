-- Every table of the store, as the embedded store has them: sortable key,
-- value bytes. The store's own migrations (src/store/migrations.rs) then
-- run over these as they do over redb.
CREATE TABLE lp_meta (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_projects (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_checklists (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_tasks (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_journal (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_users (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_user_emails (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_sessions (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_tokens (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_token_hashes (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_audit (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_assessments (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_templates (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_idempotency (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_north_stars (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_north_star_rows (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_stakeholders (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_compliance (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_compliance_inventory (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_compliance_triggers (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_compliance_vendors (k bytea PRIMARY KEY, v bytea NOT NULL);
CREATE TABLE lp_compliance_reviews (k bytea PRIMARY KEY, v bytea NOT NULL);

-- Bumped by every write transaction that changed something: an instance
-- whose cached answer was read at an older generation reads again.
CREATE TABLE lp_generation (id smallint PRIMARY KEY CHECK (id = 1), g bigint NOT NULL);
INSERT INTO lp_generation VALUES (1, 0);
