-- Upload records. The image itself is a file named after the id in the upload directory,
-- written before the record and removed after it.

CREATE TABLE uploads (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    -- The records go with their owner; the application removes the files.
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Cleaned name: a-z 0-9 - _, one dot and the extension of the format, at most 100 characters.
    filename TEXT NOT NULL CHECK (length(filename) BETWEEN 1 AND 100),
    -- The format sniffed from the bytes, which is also the format of the stored file.
    format TEXT NOT NULL CHECK (format IN ('jpeg', 'png', 'webp', 'gif')),
    -- Size of the stored, re-encoded file in bytes.
    size INTEGER NOT NULL CHECK (size >= 0),
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX uploads_owner_id ON uploads (owner_id, created_at DESC);

-- posts.image_id has no foreign key (the posts table predates uploads, and SQLite cannot add
-- one to an existing table), so this trigger clears it when an upload goes, on a delete of the
-- upload and on the cascade from its owner alike.
CREATE INDEX posts_image_id ON posts (image_id);

CREATE TRIGGER uploads_clear_post_images AFTER DELETE ON uploads
BEGIN
    UPDATE posts SET image_id = NULL WHERE image_id = OLD.id;
END;
