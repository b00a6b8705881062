//! Diesel's view of the tables that `migrations/` creates; see `up.sql` for what each column
//! contains.

diesel::table! {
    users (id) {
        id -> Uuid,
        username -> Text,
        email -> Text,
        role -> Text,
        password_hash -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    categories (id) {
        id -> Uuid,
        name -> Text,
        name_key -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    posts (id) {
        id -> Uuid,
        title -> Text,
        body -> Text,
        author_id -> Uuid,
        category_id -> Nullable<Uuid>,
        image_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_families (id) {
        id -> Uuid,
        user_id -> Uuid,
        current_token -> Uuid,
        previous_token -> Nullable<Uuid>,
        previous_rotated_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked -> Bool,
    }
}

diesel::table! {
    uploads (id) {
        id -> Uuid,
        owner_id -> Uuid,
        filename -> Text,
        format -> Text,
        size -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// The table in which diesel_migrations records each applied migration. The adapter reads it
    /// directly, because diesel's own check needs the CREATE privilege.
    __diesel_schema_migrations (version) {
        version -> Text,
        run_on -> Timestamp,
    }
}

diesel::joinable!(posts -> users (author_id));
diesel::joinable!(posts -> categories (category_id));
diesel::joinable!(refresh_families -> users (user_id));
diesel::joinable!(uploads -> users (owner_id));

diesel::allow_tables_to_appear_in_same_query!(users, categories, posts, refresh_families, uploads);
