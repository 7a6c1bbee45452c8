"""The browser workspace (`qbank serve`): server-rendered pages over the same engine and
workflows as the CLI, with nothing of its own beyond presentation and the web's security
(sessions, CSRF, Host checks, roles). See docs/web.md."""
