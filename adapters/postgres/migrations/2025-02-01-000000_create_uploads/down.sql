-- Drops what up.sql created, in reverse order.
DROP TRIGGER uploads_clear_post_images ON uploads;
DROP FUNCTION uploads_clear_post_images();
DROP INDEX posts_image_id;
DROP TABLE uploads;
