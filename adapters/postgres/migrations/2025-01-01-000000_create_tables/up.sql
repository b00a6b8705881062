-- Users, categories, posts and refresh token families: the tables of the SQLite schema, with
-- PostgreSQL's own types.
--
-- Ids are native uuid, which compares and sorts by its bytes, as the lower-case hyphenated text
-- of the SQLite schema does. Times are timestamptz: UTC instants with microsecond precision.
-- Text that the service sorts or compares for uniqueness uses the "C" collation, so the order
-- and the unique checks are the byte order of UTF-8, as in SQLite, whatever the database's
-- locale is.
--
-- The migration runs as the owner role, and creates no role and grants nothing: the grants of
-- the runtime role come from the default privileges that docs/postgres-roles.sql sets up.

CREATE TABLE users (
    id uuid PRIMARY KEY,
    -- Normalized form (NFKC, lower-case, trimmed): the form logins compare.
    username text COLLATE "C" NOT NULL,
    -- Lower-cased when parsed, and the unique index compares it lower-cased as well.
    email text COLLATE "C" NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'member')),
    -- PHC string ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"), never a plain password.
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL
);

-- The index names are part of the adapter: a unique violation names its index, and the
-- adapter maps the name to the field of the conflict (username, email or name). So are the
-- default names of the foreign keys (<table>_<column>_fkey), which name a missing reference.
CREATE UNIQUE INDEX users_username_key ON users (username);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE categories (
    id uuid PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    -- The name lower-cased by Unicode rules in Rust, which the unique index checks. lower() in
    -- PostgreSQL folds by the database's locale, so it would differ between servers.
    name_key text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE UNIQUE INDEX categories_name_key ON categories (name_key);

CREATE TABLE posts (
    id uuid PRIMARY KEY,
    title text NOT NULL,
    -- HTML that went through the sanitizer before it was stored.
    body text NOT NULL,
    author_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category_id uuid REFERENCES categories (id) ON DELETE SET NULL,
    -- Id of an uploaded image; the image itself is stored outside the database.
    image_id uuid,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Serves the newest-first listing, whose ties on created_at break by id.
CREATE INDEX posts_created_at ON posts (created_at DESC, id);
CREATE INDEX posts_author_id ON posts (author_id, created_at DESC);
CREATE INDEX posts_category_id ON posts (category_id);

CREATE TABLE refresh_families (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The jti of the only refresh token of the family that may still be used.
    current_token uuid NOT NULL,
    -- The jti that current_token replaced, and when; both NULL before the first rotation.
    previous_token uuid,
    previous_rotated_at timestamptz,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    -- True once the family is revoked (logout, password change, reuse of a replaced token).
    revoked boolean NOT NULL DEFAULT false,
    CHECK ((previous_token IS NULL) = (previous_rotated_at IS NULL))
);

CREATE INDEX refresh_families_user_id ON refresh_families (user_id, created_at DESC);
