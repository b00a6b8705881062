-- Users, categories, posts and refresh token families.
--
-- Ids are UUIDs in their lower-case hyphenated text form (36 characters), which sorts like
-- the UUID bytes. Times are UTC text as diesel writes `TimestamptzSqlite`
-- ("2025-01-01 12:00:00.5+00:00"), which sorts chronologically for years 0000 to 9999.
-- STRICT makes SQLite reject a value of the wrong type instead of storing it.

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    -- Normalized form (NFKC, lower-case, trimmed): the form logins compare.
    username TEXT NOT NULL,
    -- Lower-cased when parsed, and the unique index compares it lower-cased as well.
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    -- PHC string ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"), never a plain password.
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX users_username_key ON users (username);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE categories (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    name TEXT NOT NULL,
    -- The name lower-cased by Unicode rules in Rust, which the unique index checks. SQLite's
    -- lower() would fold ASCII letters only, so "É" and "é" would count as two names.
    name_key TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX categories_name_key ON categories (name_key);

CREATE TABLE posts (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    title TEXT NOT NULL,
    -- HTML that went through the sanitizer before it was stored.
    body TEXT NOT NULL,
    author_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category_id TEXT REFERENCES categories (id) ON DELETE SET NULL,
    -- Id of an uploaded image; the image itself is stored outside the database.
    image_id TEXT CHECK (image_id IS NULL OR length(image_id) = 36),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- Serves the newest-first listing, whose ties on created_at break by id.
CREATE INDEX posts_created_at ON posts (created_at DESC, id);
CREATE INDEX posts_author_id ON posts (author_id, created_at DESC);
CREATE INDEX posts_category_id ON posts (category_id);

CREATE TABLE refresh_families (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The jti of the only refresh token of the family that may still be used.
    current_token TEXT NOT NULL,
    -- The jti that current_token replaced, and when; both NULL before the first rotation.
    previous_token TEXT,
    previous_rotated_at TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    -- 1 once the family is revoked (logout, password change, reuse of a replaced token).
    revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
    CHECK ((previous_token IS NULL) = (previous_rotated_at IS NULL))
) STRICT;

CREATE INDEX refresh_families_user_id ON refresh_families (user_id, created_at DESC);
