//! Transactions on a pooled connection: a read snapshot, and the write
//! transaction that keeps its changes until it commits.

use super::*;

/// A connection inside a transaction; rolled back if dropped unfinished.
pub(in crate::store::engine) struct Conn {
    pub(in crate::store::engine) db: Arc<PgDb>,
    pub(in crate::store::engine) client: Option<Object>,
}

impl Conn {
    pub(in crate::store::engine) fn client(&self) -> &Object {
        self.client
            .as_ref()
            .expect("held until the transaction ends")
    }

    pub(in crate::store::engine) fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let client = self.client();
        self.db
            .wait(async {
                let statement = client.prepare_cached(sql).await?;
                client.query(&statement, params).await
            })
            .map_err(db_error)
    }

    pub(in crate::store::engine) fn execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let client = self.client();
        self.db
            .wait(async {
                let statement = client.prepare_cached(sql).await?;
                client.execute(&statement, params).await
            })
            .map_err(db_error)
    }

    /// Ends the transaction with `COMMIT` or `ROLLBACK`.
    pub(in crate::store::engine) fn finish(mut self, how: &str) -> Result<(), StoreError> {
        let client = self.client.take().expect("held until the transaction ends");
        self.db.wait(client.batch_execute(how)).map_err(db_error)
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // Rolled back before the connection goes back to the pool,
            // without waiting here (this may run on an async thread).
            self.db.runtime().spawn(async move {
                let _ = client.batch_execute("ROLLBACK").await;
            });
        }
    }
}

/// A read transaction: one snapshot.
pub struct ReadTx(pub(in crate::store::engine) Conn);

impl ReadTx {
    pub(in crate::store::engine) fn table<K: OrderedKey, V: Value + 'static>(
        &self,
        name: &str,
    ) -> Table<'_, K, V> {
        Table {
            side: Side::Read(self),
            name: sql_name(name),
            _types: PhantomData,
        }
    }
}

/// A row as bytes: the sortable key and the value.
pub(in crate::store::engine) type RawRow = (Vec<u8>, Vec<u8>);

/// Changes not sent yet: table → key → value (`None`: removed).
pub(in crate::store::engine) type Pending = BTreeMap<String, BTreeMap<Vec<u8>, Option<Vec<u8>>>>;

/// The write transaction.
pub struct WriteTx {
    pub(in crate::store::engine) conn: Conn,
    pub(in crate::store::engine) pending: RefCell<Pending>,
    /// Whether it changed anything, so its commit bumps the generation.
    pub(in crate::store::engine) dirty: Cell<bool>,
}

impl WriteTx {
    pub(in crate::store::engine) fn table<K: OrderedKey, V: Value + 'static>(
        &self,
        name: &str,
    ) -> Table<'_, K, V> {
        Table {
            side: Side::Write(self),
            name: sql_name(name),
            _types: PhantomData,
        }
    }

    /// Sends every pending change.
    pub(in crate::store::engine) fn flush(&self) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        for (table, rows) in pending {
            let (mut gone, mut keys, mut values) = (Vec::new(), Vec::new(), Vec::new());
            for (key, value) in rows {
                match value {
                    Some(value) => {
                        keys.push(key);
                        values.push(value);
                    }
                    None => gone.push(key),
                }
            }
            if !gone.is_empty() {
                self.conn
                    .execute(&format!("DELETE FROM {table} WHERE k = ANY($1)"), &[&gone])?;
            }
            if !keys.is_empty() {
                self.conn.execute(
                    &format!(
                        "INSERT INTO {table} (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[]) \
                         ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v"
                    ),
                    &[&keys, &values],
                )?;
            }
        }
        Ok(())
    }

    pub(in crate::store::engine) fn pending_count(&self) -> usize {
        self.pending.borrow().values().map(BTreeMap::len).sum()
    }

    pub(in crate::store::engine) fn commit(self) -> Result<(), StoreError> {
        self.flush()?;
        let generation = if self.dirty.get() {
            let rows = self.conn.query(
                "UPDATE lp_generation SET g = g + 1 WHERE id = 1 RETURNING g",
                &[],
            )?;
            rows.first().map(|row| row.get::<_, i64>(0) as u64)
        } else {
            None
        };
        let db = Arc::clone(&self.conn.db);
        self.conn.finish("COMMIT")?;
        if let Some(g) = generation {
            db.saw(g);
        }
        Ok(())
    }

    pub(in crate::store::engine) fn abort(self) -> Result<(), StoreError> {
        self.conn.finish("ROLLBACK")
    }

    /// Removes every row of the table `name`.
    pub(in crate::store::engine) fn clear(&self, name: &str) -> Result<(), StoreError> {
        let table = sql_name(name);
        self.dirty.set(true);
        self.pending.borrow_mut().remove(&table);
        self.conn.execute(&format!("DELETE FROM {table}"), &[])?;
        Ok(())
    }
}

pub(in crate::store::engine) enum Side<'t> {
    Read(&'t ReadTx),
    Write(&'t WriteTx),
}

impl Side<'_> {
    pub(in crate::store::engine) fn conn(&self) -> &Conn {
        match self {
            Side::Read(tx) => &tx.0,
            Side::Write(tx) => &tx.conn,
        }
    }

    /// Before a query that must see this transaction's own changes.
    pub(in crate::store::engine) fn settle(&self) -> Result<(), StoreError> {
        match self {
            Side::Read(_) => Ok(()),
            Side::Write(tx) => tx.flush(),
        }
    }
}
