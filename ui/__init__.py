"""The Gradio chat UI. Kept free of imports so that the CLI can read these defaults without loading Gradio."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
# `ui --auth` reads "user:password" from this variable, so that the password is not in the shell history or `ps`.
AUTH_ENV = "ASSISTANT_AUTH"
