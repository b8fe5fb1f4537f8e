//! The EXAMPLES sections of the main commands' help (and of their man pages): real command
//! lines, each checked by `tests/it/cli_help.rs` to parse as written.

/// `gatehouse` itself.
pub const MAIN: &str = "\
Examples:
  gatehouse                                  # the console on the default store (created on first run)
  gatehouse init --db /srv/gatehouse.db      # create a store elsewhere, then use it with --db
  gatehouse --remote https://gh.example.org roles ls
  gatehouse -o json who-can UPDATE Pipeline/3f2a9c1e | jq '.[].user.username'
  gatehouse completions bash > ~/.local/share/bash-completion/completions/gatehouse
  gatehouse man --dir ~/.local/share/man/man1";

/// `init`.
pub const INIT: &str = "\
Examples:
  gatehouse init                             # the default store, owned by $USER
  gatehouse init --db /srv/gatehouse.db --admin root";

/// `roles`.
pub const ROLES: &str = "\
Examples:
  gatehouse roles ls
  gatehouse roles create Editor --description 'Edits pipelines'
  gatehouse roles add-permission Editor 0192abcd
  gatehouse roles assign Editor alice --for 8h
  gatehouse roles assign-team Viewer ops
  gatehouse roles rm Editor --dry-run       # who would lose what; nothing written";

/// `users`.
pub const USERS: &str = "\
Examples:
  gatehouse users ls
  gatehouse users create alice
  gatehouse users show alice
  gatehouse -o json users show alice";

/// `teams`.
pub const TEAMS: &str = "\
Examples:
  gatehouse teams create ops
  gatehouse teams add-member ops alice --for 30d
  gatehouse teams show ops";

/// `permissions`.
pub const PERMISSIONS: &str = "\
Examples:
  gatehouse permissions ls --entity Pipeline
  gatehouse permissions create Pipeline --grant read,update
  gatehouse permissions create Pipeline/3f2a9c1e --grant delete
  gatehouse permissions add okdata:dataset:sales alice okdata:dataset:read --for 7d
  gatehouse permissions ls okdata:dataset:sales";

/// `check`.
pub const CHECK: &str = "\
Examples:
  gatehouse check alice UPDATE Pipeline/3f2a9c1e && echo allowed
  gatehouse check alice read Pipeline --explain
  gatehouse check alice read Pipeline --at +8h     # after the access that ends has ended";

/// `who-can`.
pub const WHO_CAN: &str = "\
Examples:
  gatehouse who-can UPDATE Pipeline
  gatehouse -o json who-can read okdata:dataset:sales";

/// `what-can`.
pub const WHAT_CAN: &str = "\
Examples:
  gatehouse what-can alice
  gatehouse -o json what-can alice";

/// `expire`.
pub const EXPIRE: &str = "\
Examples:
  gatehouse expire ls
  gatehouse expire user-role alice Editor --for 8h
  gatehouse expire member ops alice --never";

/// `audit`.
pub const AUDIT: &str = "\
Examples:
  gatehouse audit
  gatehouse -o json audit";

/// `export`.
pub const EXPORT: &str = "\
Examples:
  gatehouse export > policy.toml
  gatehouse -o json export > policy.json";

/// `import`.
pub const IMPORT: &str = "\
Examples:
  gatehouse import policy.toml --dry-run
  cat policy.json | gatehouse import -         # JSON or TOML, told apart by the text
  gatehouse import --from-mage http://127.0.0.1:6789 --mage-user admin@example.com --yes";

/// `keys`.
pub const KEYS: &str = "\
Examples:
  gatehouse keys create alice --read-only
  gatehouse keys ls
  gatehouse keys revoke gh_3f2a";

/// `serve`.
pub const SERVE: &str = "\
Examples:
  gatehouse init --db /srv/gatehouse.db && gatehouse serve --db /srv/gatehouse.db
  gatehouse serve --database-url postgres://gatehouse@db/gatehouse --listen 0.0.0.0:7878";

/// `defaults`.
pub const DEFAULTS: &str = "\
Examples:
  gatehouse defaults ls
  gatehouse defaults apply mage";
