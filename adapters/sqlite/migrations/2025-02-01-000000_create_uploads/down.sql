DROP TRIGGER uploads_clear_post_images;
DROP INDEX posts_image_id;
DROP TABLE uploads;
