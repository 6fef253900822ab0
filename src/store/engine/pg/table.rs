//! One store table inside a transaction: point reads, buffered writes, and
//! ranges read a page at a time.

use super::tx::{RawRow, Side};
use super::*;

/// One table of a transaction.
pub struct Table<'t, K, V> {
    pub(super) side: Side<'t>,
    pub(super) name: String,
    pub(super) _types: PhantomData<(K, V)>,
}

impl<'t, K: OrderedKey, V: Value + 'static> Table<'t, K, V> {
    pub(in crate::store::engine) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Side::Write(tx) = &self.side
            && let Some(value) = tx
                .pending
                .borrow()
                .get(&self.name)
                .and_then(|rows| rows.get(key))
        {
            return Ok(value.clone());
        }
        let rows = self.side.conn().query(
            &format!("SELECT v FROM {} WHERE k = $1", self.name),
            &[&key],
        )?;
        Ok(rows.first().map(|row| row.get(0)))
    }

    pub(in crate::store::engine) fn insert(
        &mut self,
        key: Vec<u8>,
        value: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.change(key, Some(value))
    }

    pub(in crate::store::engine) fn remove(
        &mut self,
        key: Vec<u8>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let old = self.get(&key)?;
        if old.is_some() {
            self.change(key, None)?;
        }
        Ok(old)
    }

    fn change(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) -> Result<(), StoreError> {
        let Side::Write(tx) = &self.side else {
            return Err(super::super::read_only());
        };
        tx.dirty.set(true);
        tx.pending
            .borrow_mut()
            .entry(self.name.clone())
            .or_default()
            .insert(key, value);
        if tx.pending_count() >= FLUSH_AT {
            tx.flush()?;
        }
        Ok(())
    }

    pub(in crate::store::engine) fn rows(
        &self,
        bounds: ByteBounds,
    ) -> Result<Rows<'_, K, V>, StoreError> {
        self.side.settle()?;
        Ok(Rows {
            table: self,
            bounds,
            descending: false,
            page: VecDeque::new(),
            after: None,
            done: false,
            _types: PhantomData,
        })
    }

    pub(in crate::store::engine) fn len(&self) -> Result<u64, StoreError> {
        self.side.settle()?;
        let rows = self
            .side
            .conn()
            .query(&format!("SELECT count(*) FROM {}", self.name), &[])?;
        let count: i64 = rows.first().map_or(0, |row| row.get(0));
        Ok(count as u64)
    }

    /// Removes the rows in `bounds` for which `keep(sortable key, value)`
    /// answers `false`.
    pub(in crate::store::engine) fn retain(
        &mut self,
        bounds: ByteBounds,
        mut keep: impl FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let mut gone = Vec::new();
        for row in self.rows(bounds)?.raw() {
            let (key, value) = row?;
            if !keep(&key, &value) {
                gone.push(key);
            }
        }
        for key in gone {
            self.change(key, None)?;
        }
        Ok(())
    }

    /// One page of rows after `after` (in the direction asked).
    fn page(
        &self,
        (lower, upper): &ByteBounds,
        after: Option<&Vec<u8>>,
        descending: bool,
    ) -> Result<Vec<RawRow>, StoreError> {
        let mut limits: Vec<(&str, &Vec<u8>)> = Vec::new();
        match lower {
            Bound::Included(k) => limits.push((">=", k)),
            Bound::Excluded(k) => limits.push((">", k)),
            Bound::Unbounded => {}
        }
        match upper {
            Bound::Included(k) => limits.push(("<=", k)),
            Bound::Excluded(k) => limits.push(("<", k)),
            Bound::Unbounded => {}
        }
        if let Some(after) = after {
            limits.push((if descending { "<" } else { ">" }, after));
        }
        let filter: Vec<String> = limits
            .iter()
            .enumerate()
            .map(|(i, (op, _))| format!("k {op} ${}", i + 1))
            .collect();
        let filter = if filter.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", filter.join(" AND "))
        };
        let order = if descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT k, v FROM {}{filter} ORDER BY k {order} LIMIT {PAGE}",
            self.name
        );
        let params: Vec<&(dyn ToSql + Sync)> = limits
            .iter()
            .map(|(_, key)| *key as &(dyn ToSql + Sync))
            .collect();
        let rows = self.side.conn().query(&sql, &params)?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }
}

/// The rows of a range, read a page at a time.
pub struct Rows<'a, K, V> {
    table: &'a Table<'a, K, V>,
    bounds: ByteBounds,
    descending: bool,
    page: VecDeque<RawRow>,
    /// The last key read, where the next page starts.
    after: Option<Vec<u8>>,
    done: bool,
    _types: PhantomData<(K, V)>,
}

impl<'a, K: OrderedKey, V: Value + 'static> Rows<'a, K, V> {
    pub(in crate::store::engine) fn rev(self) -> Self {
        Self {
            descending: !self.descending,
            page: VecDeque::new(),
            after: None,
            done: false,
            ..self
        }
    }

    /// The rows as `(sortable key, value)` bytes.
    fn raw(self) -> impl Iterator<Item = Result<RawRow, StoreError>> + 'a {
        let mut rows = self;
        std::iter::from_fn(move || rows.next_raw())
    }

    fn next_raw(&mut self) -> Option<Result<RawRow, StoreError>> {
        if self.page.is_empty() && !self.done {
            match self
                .table
                .page(&self.bounds, self.after.as_ref(), self.descending)
            {
                Ok(page) => {
                    self.done = page.len() < PAGE;
                    self.page = page.into();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        let (key, value) = self.page.pop_front()?;
        self.after = Some(key.clone());
        Some(Ok((key, value)))
    }
}

impl<'a, K: OrderedKey, V: Value + 'static> Iterator for Rows<'a, K, V> {
    type Item = Result<Row<'a, K, V>, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(
            self.next_raw()?
                .map(|(key, value)| (Guard::owned(K::from_sortable(&key)), Guard::owned(value))),
        )
    }
}
