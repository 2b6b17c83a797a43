//! The [`Store`](crate::Store) implementation shared by both backends. The SQL text differs only
//! in placeholders (`?` for SQLite, `$n` for PostgreSQL), so each backend supplies a `sql` module
//! of statements and this macro supplies the rest.

/// Implements `Store` for `$store` (which has a `pool` field of `$db`), with statements from the
/// module `$sql` and `$backend` (`"sqlite"` or `"postgres"`) in messages.
macro_rules! impl_store {
    ($store:ty, $db:ty, $backend:literal, $sql:ident) => {
        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn insert_api_key(
                &self,
                key: &$crate::ApiKeyRecord,
            ) -> Result<(), $crate::StoreError> {
                let row = $crate::rows::ApiKeyRow::from_record(key)?;
                sqlx::query($sql::INSERT_API_KEY)
                    .bind(row.id)
                    .bind(row.name)
                    .bind(row.groups)
                    .bind(row.scopes)
                    .bind(row.secret_hash)
                    .bind(row.created_at)
                    .bind(row.expires_at)
                    .bind(row.revoked_at)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| {
                        $crate::StoreError::from_sqlx($backend, e, || {
                            format!(
                                "an api key with id {} or an unrevoked api key named {} already exists; revoke it or pick another name",
                                key.id, key.name
                            )
                        })
                    })?;
                Ok(())
            }

            async fn api_key(
                &self,
                id: &str,
            ) -> Result<Option<$crate::ApiKeyRecord>, $crate::StoreError> {
                sqlx::query_as::<$db, $crate::rows::ApiKeyRow>($sql::SELECT_API_KEY)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| self.error(e))?
                    .map($crate::rows::ApiKeyRow::into_record)
                    .transpose()
            }

            async fn api_keys(&self) -> Result<Vec<$crate::ApiKeyRecord>, $crate::StoreError> {
                sqlx::query_as::<$db, $crate::rows::ApiKeyRow>($sql::SELECT_API_KEYS)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| self.error(e))?
                    .into_iter()
                    .map($crate::rows::ApiKeyRow::into_record)
                    .collect()
            }

            async fn revoke_api_key(
                &self,
                id_or_name: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::ApiKeyRecord>, $crate::StoreError> {
                let at = $crate::timestamp::format(&at);
                for statement in [$sql::REVOKE_API_KEY_BY_ID, $sql::REVOKE_API_KEY_BY_NAME] {
                    let revoked = sqlx::query_as::<$db, $crate::rows::ApiKeyRow>(statement)
                        .bind(at.clone())
                        .bind(id_or_name)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(|e| self.error(e))?;
                    if let Some(row) = revoked {
                        return row.into_record().map(Some);
                    }
                }
                // Already revoked: report it as it is, keeping the first revocation time.
                self.api_key(id_or_name).await
            }

            async fn audit_head(
                &self,
                node: &str,
            ) -> Result<Option<$crate::ChainedEvent>, $crate::StoreError> {
                sqlx::query_as::<$db, $crate::rows::EventRow>($sql::SELECT_AUDIT_HEAD)
                    .bind(node)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| self.error(e))?
                    .map($crate::rows::EventRow::into_event)
                    .transpose()
            }

            async fn insert_audit_event(
                &self,
                event: &$crate::ChainedEvent,
            ) -> Result<(), $crate::StoreError> {
                let row = $crate::rows::EventRow::from_event(event)?;
                sqlx::query($sql::INSERT_AUDIT_EVENT)
                    .bind(row.node)
                    .bind(row.seq)
                    .bind(row.time)
                    .bind(row.kind)
                    .bind(row.identity)
                    .bind(row.connection)
                    .bind(row.session)
                    .bind(row.action)
                    .bind(row.verdict)
                    .bind(row.rule)
                    .bind(row.detail)
                    .bind(row.prev_hash)
                    .bind(row.hash)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| {
                        $crate::StoreError::from_sqlx($backend, e, || {
                            format!(
                                "audit event {} of node {} already exists: another process is writing this node's chain; give every gateway node its own name",
                                event.seq, event.node
                            )
                        })
                    })?;
                Ok(())
            }

            async fn insert_audit_events(
                &self,
                events: &[$crate::StoredEvent],
            ) -> Result<(), $crate::StoreError> {
                let (Some(first), Some(last)) = (
                    events.first().map(|e| &e.event),
                    events.last().map(|e| &e.event),
                ) else {
                    return Ok(());
                };
                let failed = |e: sqlx::Error| {
                    $crate::StoreError::from_sqlx($backend, e, || {
                        let events = if first.seq == last.seq {
                            format!("audit event {}", first.seq)
                        } else {
                            format!("one of audit events {} to {}", first.seq, last.seq)
                        };
                        format!(
                            "{events} of node {} already exists: another process is writing this node's chain; give every gateway node its own name",
                            first.node
                        )
                    })
                };
                // Only the columns that are not plain fields of the event are built; the rest
                // are bound from the event as they are.
                let derived = events
                    .iter()
                    .map(|stored| $crate::rows::DerivedColumns::of(&stored.event))
                    .collect::<Result<Vec<_>, _>>()?;
                let rows: Vec<_> = events.iter().zip(&derived).collect();
                let mut tx = self.pool.begin().await.map_err(|e| self.error(e))?;
                for chunk in rows.chunks($crate::rows::EVENT_ROWS_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(format!(
                        "INSERT INTO audit_events ({}) ",
                        $crate::rows::EVENT_COLUMNS
                    ));
                    insert.push_values(chunk, |mut values, (stored, derived)| {
                        let event = &stored.event;
                        let record = &event.record;
                        values
                            .push_bind(event.node.as_str())
                            .push_bind(derived.seq)
                            .push_bind(derived.time.as_str())
                            .push_bind(record.kind.as_str())
                            .push_bind(record.identity.as_deref())
                            .push_bind(record.connection.as_deref())
                            .push_bind(record.session.as_deref())
                            .push_bind(record.action.as_deref())
                            .push_bind(record.verdict.map(|v| v.as_str()))
                            .push_bind(record.rule.as_deref())
                            .push_bind(stored.detail.as_str())
                            .push_bind(event.prev_hash.as_str())
                            .push_bind(event.hash.as_str());
                    });
                    insert.build().execute(&mut *tx).await.map_err(failed)?;
                }
                tx.commit().await.map_err(failed)?;
                Ok(())
            }

            async fn audit_events(
                &self,
                node: &str,
                after: u64,
                limit: u32,
            ) -> Result<Vec<$crate::ChainedEvent>, $crate::StoreError> {
                sqlx::query_as::<$db, $crate::rows::EventRow>($sql::SELECT_AUDIT_EVENTS)
                    .bind(node)
                    .bind($crate::rows::seq_to_sql(after)?)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| self.error(e))?
                    .into_iter()
                    .map($crate::rows::EventRow::into_event)
                    .collect()
            }

            async fn audit_nodes(&self) -> Result<Vec<String>, $crate::StoreError> {
                sqlx::query_scalar::<$db, String>($sql::SELECT_AUDIT_NODES)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| self.error(e))
            }

            async fn search_audit(
                &self,
                filter: &$crate::AuditFilter,
            ) -> Result<Vec<$crate::ChainedEvent>, $crate::StoreError> {
                let mut query = $crate::search_sql::search_query::<$db>(filter);
                query
                    .build_query_as::<$crate::rows::EventRow>()
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| self.error(e))?
                    .into_iter()
                    .map($crate::rows::EventRow::into_event)
                    .collect()
            }

            async fn insert_checkpoint(
                &self,
                checkpoint: &$crate::Checkpoint,
            ) -> Result<(), $crate::StoreError> {
                let row = $crate::rows::CheckpointRow::from_checkpoint(checkpoint)?;
                sqlx::query($sql::INSERT_CHECKPOINT)
                    .bind(row.node)
                    .bind(row.seq)
                    .bind(row.hash)
                    .bind(row.time)
                    .bind(row.signature)
                    .bind(row.public_key)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| {
                        $crate::StoreError::from_sqlx($backend, e, || {
                            format!(
                                "a checkpoint at event {} of node {} already exists",
                                checkpoint.seq, checkpoint.node
                            )
                        })
                    })?;
                Ok(())
            }

            async fn checkpoints(
                &self,
                node: &str,
            ) -> Result<Vec<$crate::Checkpoint>, $crate::StoreError> {
                sqlx::query_as::<$db, $crate::rows::CheckpointRow>($sql::SELECT_CHECKPOINTS)
                    .bind(node)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| self.error(e))?
                    .into_iter()
                    .map($crate::rows::CheckpointRow::into_checkpoint)
                    .collect()
            }
        }

        impl $store {
            /// Maps a driver error of this backend (no conflict expected).
            fn error(&self, err: sqlx::Error) -> $crate::StoreError {
                $crate::StoreError::from_sqlx($backend, err, || {
                    "unexpected uniqueness violation".to_owned()
                })
            }

            /// Closes every connection; later calls fail with [`StoreError::Unavailable`](crate::StoreError::Unavailable).
            pub async fn close(&self) {
                self.pool.close().await;
            }
        }
    };
}

pub(crate) use impl_store;
