//! Diesel's view of the tables that `migrations/` creates; see `up.sql` for what each column
//! contains.

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        email -> Text,
        role -> Text,
        password_hash -> Text,
        created_at -> TimestamptzSqlite,
    }
}

diesel::table! {
    categories (id) {
        id -> Text,
        name -> Text,
        name_key -> Text,
        created_at -> TimestamptzSqlite,
    }
}

diesel::table! {
    posts (id) {
        id -> Text,
        title -> Text,
        body -> Text,
        author_id -> Text,
        category_id -> Nullable<Text>,
        image_id -> Nullable<Text>,
        created_at -> TimestamptzSqlite,
        updated_at -> TimestamptzSqlite,
    }
}

diesel::table! {
    refresh_families (id) {
        id -> Text,
        user_id -> Text,
        current_token -> Text,
        previous_token -> Nullable<Text>,
        previous_rotated_at -> Nullable<TimestamptzSqlite>,
        created_at -> TimestamptzSqlite,
        expires_at -> TimestamptzSqlite,
        revoked -> Bool,
    }
}

diesel::table! {
    uploads (id) {
        id -> Text,
        owner_id -> Text,
        filename -> Text,
        format -> Text,
        size -> BigInt,
        created_at -> TimestamptzSqlite,
    }
}

diesel::joinable!(posts -> users (author_id));
diesel::joinable!(posts -> categories (category_id));
diesel::joinable!(refresh_families -> users (user_id));
diesel::joinable!(uploads -> users (owner_id));

diesel::allow_tables_to_appear_in_same_query!(users, categories, posts, refresh_families, uploads);

diesel::table! {
    revocations (kind, id) {
        kind -> Text,
        id -> Text,
        until_us -> BigInt,
    }
}
