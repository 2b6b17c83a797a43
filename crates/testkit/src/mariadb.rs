//! placeholder: mariadb
