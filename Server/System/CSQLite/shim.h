// System SQLite 3 (Debian libsqlite3-dev): the apiserver's embedded database (Server/Database).
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a function-like cast macro Swift cannot import: it tells sqlite3_bind_* to copy the bytes
/// before returning, so Swift's temporary buffers may go away after the call.
static inline sqlite3_destructor_type meeting_sqlite_transient(void) { return SQLITE_TRANSIENT; }
