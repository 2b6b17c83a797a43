//! The gateway's masking profiles, compiled once, as the pipeline's [`Maskers`]; and
//! [`Masker`] as the pipeline's [`ValueMasker`].

use crate::{ColumnRef, MaskError, Masker};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use warden_config::Masking;
use warden_core::mask::{Anchors, Masked, Maskers, Rewrite, TextStream, ValueMasker};

/// Every configured profile, compiled.
#[derive(Default)]
pub struct MaskProfiles {
    profiles: BTreeMap<String, Arc<Masker>>,
}

impl MaskProfiles {
    /// Compiles every profile of `masking` with `hash_key` for the `hash` strategy. Fails naming
    /// the profile whose rules do not compile.
    pub fn compile(masking: &Masking, hash_key: &[u8]) -> Result<Self, (String, MaskError)> {
        let mut profiles = BTreeMap::new();
        for (name, profile) in &masking.profiles {
            let masker = Masker::new(profile, hash_key).map_err(|e| (name.clone(), e))?;
            profiles.insert(name.clone(), Arc::new(masker));
        }
        Ok(MaskProfiles { profiles })
    }

    /// The compiled profile named `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Masker>> {
        self.profiles.get(name).cloned()
    }
}

impl Maskers for MaskProfiles {
    fn profile(&self, profile: &str) -> Option<Arc<dyn ValueMasker>> {
        self.profiles
            .get(profile)
            .map(|m| m.clone() as Arc<dyn ValueMasker>)
    }
}

impl ValueMasker for Masker {
    fn mask_value(&self, column: ColumnRef<'_>, value: &[u8]) -> Masked {
        Masker::mask_value(self, column, value)
    }

    fn mask_value_into(&self, column: ColumnRef<'_>, value: &[u8], out: &mut Vec<u8>) -> Rewrite {
        self.mask_planned_into(self.plan(column), value, out)
    }

    fn column_rule(&self, column: ColumnRef<'_>) -> bool {
        self.columns().position(column).is_some()
    }

    fn has_column_rules(&self) -> bool {
        !self.columns().is_empty()
    }

    fn anchors(&self) -> Anchors {
        Masker::anchors(self)
    }

    fn mask_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        Masker::mask_text(self, text)
    }

    fn text_stream(self: Arc<Self>) -> Box<dyn TextStream>
    where
        Self: 'static,
    {
        Box::new(crate::StreamMasker::new(self))
    }
}
