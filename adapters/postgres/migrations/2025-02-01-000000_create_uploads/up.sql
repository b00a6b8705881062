-- Upload records. The image itself is a file named after the id in the upload directory,
-- written before the record and removed after it.

CREATE TABLE uploads (
    id uuid PRIMARY KEY,
    -- The records go with their owner; the application removes the files.
    owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Cleaned name: a-z 0-9 - _, one dot and the extension of the format, at most 100 characters.
    filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 100),
    -- The format sniffed from the bytes, which is also the format of the stored file.
    format text NOT NULL CHECK (format IN ('jpeg', 'png', 'webp', 'gif')),
    -- Size of the stored, re-encoded file in bytes.
    size bigint NOT NULL CHECK (size >= 0),
    created_at timestamptz NOT NULL
);

CREATE INDEX uploads_owner_id ON uploads (owner_id, created_at DESC);

-- posts.image_id gets no foreign key, as in the SQLite schema: a post may name an image id
-- that has no record. This trigger clears it when an upload goes, on a delete of the upload and
-- on the cascade from its owner alike. Triggers run with the rights of the role whose statement
-- fires them, and the runtime role may update posts.
CREATE INDEX posts_image_id ON posts (image_id);

CREATE FUNCTION uploads_clear_post_images() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts SET image_id = NULL WHERE image_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE TRIGGER uploads_clear_post_images AFTER DELETE ON uploads
FOR EACH ROW EXECUTE FUNCTION uploads_clear_post_images();
