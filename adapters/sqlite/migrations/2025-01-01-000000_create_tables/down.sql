DROP TABLE refresh_families;
DROP TABLE posts;
DROP TABLE categories;
DROP TABLE users;
