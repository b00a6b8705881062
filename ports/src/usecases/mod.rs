//! Use cases: register, login, refresh, logout, accounts, posts and categories.
