// MariaDB Connector/C (Debian libmariadb-dev): the client for MySQL/MariaDB (Server/Database).
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
