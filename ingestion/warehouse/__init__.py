"""The warehouse database: the embedded server, connections and migrations."""
