"""The project's input channels for the Rasa server (named in credentials.yml):
Rasa's REST, socket.io and Slack channels with input checks, an action
timeout and an apology (channels/guard.py)."""
