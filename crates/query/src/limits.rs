//! Every bound this crate enforces, in one place (house rule: every unbounded thing is bounded).
//! Exceeding a size or nesting bound is `TooComplexQuery`; an oversized regular expression or
//! geometry is `BadRequestData`, since those are bad values rather than complex queries.

/// Longest `q`, `scopeQ`, `type`, `pick`/`omit`/`attrs` value accepted, in bytes.
pub const MAX_PARAM_LEN: usize = 16 * 1024;
/// Most query terms (atoms) in one `q`, `scopeQ` or `type` expression.
pub const MAX_TERMS: usize = 128;
/// Deepest parenthesis nesting in one expression.
pub const MAX_DEPTH: usize = 16;
/// Deepest `rel{...}` linked-entity nesting in one q path (each level is an entity lookup).
pub const MAX_LINK_DEPTH: usize = 4;
/// Most regular expressions (`~=`, `!~=`) in one `q`.
pub const MAX_REGEXES: usize = 16;
/// Longest regular expression source, in bytes.
pub const MAX_REGEX_LEN: usize = 1024;
/// Compiled-program size limit per regular expression (`RegexBuilder::size_limit`).
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// Lazy-DFA cache limit per regular expression (`RegexBuilder::dfa_size_limit`).
pub const REGEX_DFA_SIZE_LIMIT: usize = 1024 * 1024;
/// Most attribute names in one projection (`pick`, `omit`, `attrs`), nested ones included.
pub const MAX_PROJECTION_TERMS: usize = 256;
/// Longest `coordinates` text of a geo-query, in bytes (10,000 positions of ~25 bytes each).
pub const MAX_COORDINATES_LEN: usize = 256 * 1024;
