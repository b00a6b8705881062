-- Drops the tables of up.sql, referencing tables first.
DROP TABLE refresh_families;
DROP TABLE posts;
DROP TABLE categories;
DROP TABLE users;
