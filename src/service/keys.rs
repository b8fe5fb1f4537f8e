//! API keys (docs/PRODUCT.md §6): `ghk_` + 32 random bytes (base64url), shown once; the store keeps only
//! the SHA-256 of the secret and a display prefix. Lookups hash the presented secret and compare
//! hashes in constant time.

use super::{Access, Actor, Service};
use crate::backend::{CreatedKey, Error, Result};
use crate::model::{ApiKey, Id, Revision, User, new_id, now};
use crate::policy::{Change, Object};
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

/// The prefix of every key.
pub const KEY_PREFIX: &str = "ghk_";
/// How many characters of a key are kept for display.
const SHOWN: usize = 12;

/// Hex SHA-256 of a secret.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Service {
    /// Creates a key for `user`. Needs write on ApiKey; a key for someone else also needs write
    /// on User.
    pub async fn create_key(
        &self,
        actor: &Actor,
        user: Id,
        read_only: bool,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<CreatedKey> {
        self.authorize(actor, Access::Write, "ApiKey")?;
        if actor.user != Some(user) {
            self.authorize(actor, Access::Write, "User")?;
        }
        let snap = self.snapshot();
        let owner: &User = snap
            .state
            .users
            .get(&user)
            .ok_or_else(|| Error::not_found("user", user.to_string()))?;
        if owner.disabled {
            return Err(Error::invalid(
                "user",
                format!("'{}' is disabled; enable the user first", owner.username),
            ));
        }
        if let Some(e) = expires_at
            && e <= now()
        {
            return Err(Error::invalid("expires", "the expiry is in the past"));
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = format!(
            "{KEY_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        let record = ApiKey {
            id: new_id(),
            prefix: secret.chars().take(SHOWN).collect(),
            hash: hash_secret(&secret),
            user_id: user,
            read_only,
            expires_at,
            created_at: now(),
            last_used_at: None,
            revoked_at: None,
            version: 1,
        };
        self.commit(actor, vec![Change::Create(Object::ApiKey(record.clone()))])
            .await?;
        Ok(CreatedKey { record, secret })
    }

    /// Revokes a key: it is refused from the next request on.
    pub async fn revoke_key(&self, actor: &Actor, id: Id) -> Result<Revision> {
        self.authorize(actor, Access::Write, "ApiKey")?;
        let snap = self.snapshot();
        let old = snap
            .state
            .keys
            .get(&id)
            .ok_or_else(|| Error::not_found("API key", id.to_string()))?;
        if old.revoked_at.is_some() {
            return Err(Error::Conflict(format!(
                "API key {} is already revoked",
                old.prefix
            )));
        }
        let mut k = old.clone();
        k.revoked_at = Some(now());
        k.version += 1;
        self.commit(
            actor,
            vec![Change::Update {
                object: Object::ApiKey(k),
                expected_version: old.version,
            }],
        )
        .await
    }

    /// The user and key a presented secret belongs to, if it is valid now. Every failure is
    /// the same "Invalid API key".
    pub fn authenticate(&self, secret: &str) -> Result<(User, ApiKey)> {
        let invalid = || Error::Forbidden("Invalid API key".into());
        let hash = hash_secret(secret);
        let snap = self.snapshot();
        let key = snap.state.key_by_hash(&hash).ok_or_else(invalid)?;
        if !bool::from(key.hash.as_bytes().ct_eq(hash.as_bytes())) {
            return Err(invalid());
        }
        if key.revoked_at.is_some() || key.expires_at.is_some_and(|e| e <= now()) {
            return Err(invalid());
        }
        let user = snap
            .state
            .users
            .get(&key.user_id)
            .filter(|u| !u.disabled)
            .ok_or_else(invalid)?;
        Ok((user.clone(), key.clone()))
    }
}
