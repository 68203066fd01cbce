//! PLACEHOLDER: to be replaced by the real catalogue loader (patterns/*.toml).

use crate::cause::Cause;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

#[derive(Debug, Clone)]
pub struct CauseInfo {
    pub cause: Cause,
    pub description_en: String,
    pub description_zh: String,
    pub advice_en: String,
    pub advice_zh: String,
}

impl CauseInfo {
    pub fn description(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.description_en,
            Lang::Zh => &self.description_zh,
        }
    }
    pub fn advice(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.advice_en,
            Lang::Zh => &self.advice_zh,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RuleRef {
    pub id: String,
    pub file: String,
    pub line: usize,
}

#[derive(Debug)]
pub struct Catalogue {
    causes: Vec<CauseInfo>,
}

impl Catalogue {
    pub fn load(_user_dir: Option<&Path>) -> Result<Catalogue, CatalogueError> {
        Ok(Catalogue {
            causes: Cause::ALL
                .iter()
                .map(|&c| CauseInfo {
                    cause: c,
                    description_en: c.as_str().into(),
                    description_zh: c.as_str().into(),
                    advice_en: String::new(),
                    advice_zh: String::new(),
                })
                .collect(),
        })
    }
    pub fn cause_info(&self, c: Cause) -> &CauseInfo {
        &self.causes[c.index()]
    }
    pub fn rule(&self, _index: u32) -> Option<&RuleRef> {
        None
    }
}
impl Lang { pub fn from_env() -> Lang { Lang::En } }
