//! The [`ReviewStore`](super::ReviewStore) implementation shared by both backends; each backend
//! supplies its statements (module `sqlite` or `postgres` next to this one).

/// Implements `ReviewStore` for `$store` (which has a `pool` field of `$db`), with statements
/// from the module `$sql` and `$backend` (`"sqlite"` or `"postgres"`) in messages.
macro_rules! impl_review_store {
    ($store:ty, $db:ty, $backend:literal, $sql:ident) => {
        #[async_trait::async_trait]
        impl $crate::reviews::ReviewStore for $store {
            async fn insert_review(
                &self,
                review: &warden_core::Review,
            ) -> Result<(), $crate::StoreError> {
                let row = $crate::reviews::rows::ReviewRow::from_review(review)?;
                let votes = $crate::reviews::rows::VoteRow::for_review(review, 0)?;
                let failed = $crate::reviews::unexpected($backend);
                let mut tx = self.pool.begin().await.map_err(&failed)?;
                sqlx::query($sql::INSERT_REVIEW)
                    .bind(row.id)
                    .bind(row.kind)
                    .bind(row.requester)
                    .bind(row.connection)
                    .bind(row.action)
                    .bind(row.payload)
                    .bind(row.payload_hash)
                    .bind(row.justification)
                    .bind(row.grant_role)
                    .bind(row.grant_duration_secs)
                    .bind(row.policy)
                    .bind(row.approver_groups)
                    .bind(row.quorum)
                    .bind(row.deadline)
                    .bind(row.require_justification)
                    .bind(row.state)
                    .bind(row.version)
                    .bind(row.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| {
                        $crate::StoreError::from_sqlx($backend, e, || {
                            format!("a review with id {} already exists", review.id)
                        })
                    })?;
                Self::insert_votes(&mut tx, votes).await?;
                tx.commit().await.map_err(&failed)?;
                Ok(())
            }

            async fn review(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<warden_core::Review>, $crate::StoreError> {
                let mut conn = self
                    .pool
                    .acquire()
                    .await
                    .map_err($crate::reviews::unexpected($backend))?;
                Self::review_with_votes(&mut conn, &id.to_string()).await
            }

            async fn reviews(
                &self,
                filter: &$crate::reviews::ReviewFilter,
            ) -> Result<Vec<warden_core::Review>, $crate::StoreError> {
                let rows = $crate::reviews::list_sql::reviews_query::<$db>(filter)
                    .build_query_as::<$crate::reviews::rows::ReviewVoteRow>()
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::reviews::unexpected($backend))?;
                $crate::reviews::rows::into_reviews(rows)
            }

            async fn update_review(
                &self,
                review: &warden_core::Review,
            ) -> Result<warden_core::Review, $crate::StoreError> {
                let id = review.id.to_string();
                let expected = $crate::reviews::rows::to_sql(&id, "version", review.version)?;
                let failed = $crate::reviews::unexpected($backend);
                let mut tx = self.pool.begin().await.map_err(&failed)?;
                // The conditional update comes first: it takes the row's write lock, so from here
                // on nobody else changes this review until the transaction ends.
                let swapped = sqlx::query($sql::UPDATE_REVIEW)
                    .bind($crate::reviews::rows::state_to_sql(review.state))
                    .bind(id.clone())
                    .bind(expected)
                    .execute(&mut *tx)
                    .await
                    .map_err(&failed)?
                    .rows_affected();
                if swapped == 0 {
                    let stored = sqlx::query_scalar::<$db, i64>($sql::SELECT_REVIEW_VERSION)
                        .bind(id.clone())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(&failed)?;
                    return Err($crate::StoreError::Conflict(match stored {
                        Some(stored) => format!(
                            "review {id} changed since it was read (stored version {stored}, this copy has version {}); reload it and apply the change again",
                            review.version
                        ),
                        None => format!("review {id} does not exist; insert it before updating it"),
                    }));
                }
                let stored_votes = sqlx::query_scalar::<$db, i64>($sql::COUNT_VOTES)
                    .bind(id.clone())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(&failed)?;
                let stored_votes = usize::try_from(stored_votes).unwrap_or(usize::MAX);
                if review.votes.len() < stored_votes {
                    return Err($crate::StoreError::Conflict(format!(
                        "review {id} has {stored_votes} stored votes but this copy only {}; votes cannot be withdrawn",
                        review.votes.len()
                    )));
                }
                let votes = $crate::reviews::rows::VoteRow::for_review(review, stored_votes)?;
                Self::insert_votes(&mut tx, votes).await?;
                let updated = Self::review_with_votes(&mut tx, &id)
                    .await?
                    .ok_or_else(|| $crate::StoreError::Corrupt {
                        table: "reviews",
                        message: format!("review {id} vanished while it was being updated"),
                    })?;
                tx.commit().await.map_err(&failed)?;
                Ok(updated)
            }

            async fn take_approved_review(
                &self,
                requester: &str,
                connection: &str,
                payload_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<warden_core::Review>, $crate::StoreError> {
                let now = $crate::timestamp::format(&now);
                let failed = $crate::reviews::unexpected($backend);
                for _ in 0..$crate::reviews::TAKE_ATTEMPTS {
                    let mut tx = self.pool.begin().await.map_err(&failed)?;
                    // One conditional UPDATE: of concurrent takers of one approval, only the
                    // first still finds it approved; the others match no row.
                    let taken = sqlx::query_scalar::<$db, String>($sql::TAKE_APPROVED_REVIEW)
                        .bind(requester.to_owned())
                        .bind(connection.to_owned())
                        .bind(payload_hash.to_owned())
                        .bind(now.clone())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(&failed)?;
                    if let Some(id) = taken {
                        let review = Self::review_with_votes(&mut tx, &id).await?;
                        tx.commit().await.map_err(&failed)?;
                        return Ok(review);
                    }
                    drop(tx);
                    // Another request may have taken the approval this one picked while a further
                    // matching approval is still waiting; look again only then.
                    let waiting = sqlx::query_scalar::<$db, i64>($sql::COUNT_APPROVED)
                        .bind(requester.to_owned())
                        .bind(connection.to_owned())
                        .bind(payload_hash.to_owned())
                        .bind(now.clone())
                        .fetch_one(&self.pool)
                        .await
                        .map_err(&failed)?;
                    if waiting == 0 {
                        return Ok(None);
                    }
                }
                Err($crate::StoreError::Conflict(format!(
                    "approvals for this request by {requester} on {connection} kept being taken by concurrent requests; try again"
                )))
            }

            async fn insert_grant(
                &self,
                grant: &warden_core::Grant,
            ) -> Result<(), $crate::StoreError> {
                let row = $crate::reviews::grant_rows::GrantRow::from_grant(grant)?;
                sqlx::query($sql::INSERT_GRANT)
                    .bind(row.id)
                    .bind(row.review_id)
                    .bind(row.identity)
                    .bind(row.connection)
                    .bind(row.role)
                    .bind(row.reason)
                    .bind(row.granted_by)
                    .bind(row.created_at)
                    .bind(row.expires_at)
                    .bind(row.revoked_at)
                    .bind(row.revoked_by)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| {
                        $crate::StoreError::from_sqlx($backend, e, || match grant.review_id {
                            Some(review) => format!(
                                "a grant with id {} already exists, or review {review} already led to a grant",
                                grant.id
                            ),
                            None => format!("a grant with id {} already exists", grant.id),
                        })
                    })?;
                Ok(())
            }

            async fn grant(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<warden_core::Grant>, $crate::StoreError> {
                sqlx::query_as::<$db, $crate::reviews::grant_rows::GrantRow>($sql::SELECT_GRANT)
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::reviews::unexpected($backend))?
                    .map($crate::reviews::grant_rows::GrantRow::into_grant)
                    .transpose()
            }

            async fn grants(
                &self,
                identity: Option<&str>,
                active_at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> Result<Vec<warden_core::Grant>, $crate::StoreError> {
                $crate::reviews::list_sql::grants_query::<$db>(identity, active_at)
                    .build_query_as::<$crate::reviews::grant_rows::GrantRow>()
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::reviews::unexpected($backend))?
                    .into_iter()
                    .map($crate::reviews::grant_rows::GrantRow::into_grant)
                    .collect()
            }

            async fn active_grants(
                &self,
                identity: &str,
                connection: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<warden_core::Grant>, $crate::StoreError> {
                let now = $crate::timestamp::format(&now);
                sqlx::query_as::<$db, $crate::reviews::grant_rows::GrantRow>(
                    $sql::SELECT_ACTIVE_GRANTS,
                )
                .bind(identity.to_owned())
                .bind(connection.to_owned())
                .bind(now.clone())
                .bind(now.clone())
                .bind(now)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::reviews::unexpected($backend))?
                .into_iter()
                .map($crate::reviews::grant_rows::GrantRow::into_grant)
                .collect()
            }

            async fn revoke_grant(
                &self,
                id: uuid::Uuid,
                by: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<warden_core::Grant>, $crate::StoreError> {
                let revoked =
                    sqlx::query_as::<$db, $crate::reviews::grant_rows::GrantRow>($sql::REVOKE_GRANT)
                        .bind($crate::timestamp::format(&at))
                        .bind(by.to_owned())
                        .bind(id.to_string())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err($crate::reviews::unexpected($backend))?;
                match revoked {
                    Some(row) => row.into_grant().map(Some),
                    // Already revoked (reported as it is) or no such grant.
                    None => self.grant(id).await,
                }
            }
        }

        impl $store {
            /// The review with this id and its votes, read in one statement on `conn`.
            async fn review_with_votes(
                conn: &mut <$db as sqlx::Database>::Connection,
                id: &str,
            ) -> Result<Option<warden_core::Review>, $crate::StoreError> {
                let rows = sqlx::query_as::<$db, $crate::reviews::rows::ReviewVoteRow>(
                    $sql::SELECT_REVIEW,
                )
                .bind(id.to_owned())
                .fetch_all(&mut *conn)
                .await
                .map_err($crate::reviews::unexpected($backend))?;
                Ok($crate::reviews::rows::into_reviews(rows)?.pop())
            }

            /// Stores `votes` on `conn`; a second vote of one approver is a conflict.
            async fn insert_votes(
                conn: &mut <$db as sqlx::Database>::Connection,
                votes: Vec<$crate::reviews::rows::VoteRow>,
            ) -> Result<(), $crate::StoreError> {
                for vote in votes {
                    let (approver, review) = (vote.approver.clone(), vote.review_id.clone());
                    sqlx::query($sql::INSERT_VOTE)
                        .bind(vote.review_id)
                        .bind(vote.approver)
                        .bind(vote.position)
                        .bind(vote.approve)
                        .bind(vote.comment)
                        .bind(vote.voted_at)
                        .execute(&mut *conn)
                        .await
                        .map_err(|e| {
                            $crate::StoreError::from_sqlx($backend, e, || {
                                format!(
                                    "{approver} has already voted on review {review}; each approver votes once"
                                )
                            })
                        })?;
                }
                Ok(())
            }
        }
    };
}

pub(crate) use impl_review_store;
