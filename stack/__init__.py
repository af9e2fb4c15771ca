"""Running the assistant: the processes `make run`, `make shell` and
`make run-cluster` start, and the same code the tests and the benchmark use.

    python -m stack run|shell|web            # stack/__main__.py
    python -m stack.cluster run|load|lockcheck

Modules:
  env       the project root, the venv's `rasa`, the servers' environment, settings from the environment
  net       ports, waiting for a server to answer, one REST message
  process   Stack: the action server, the Rasa server and the web page server as child processes
  web       the web chat page's static server
  widget    fetches socket.io's browser client for the web chat (`make web`)
  tools     where the cluster's programs are (PostgreSQL, Redis, nginx)
  postgres  a throwaway PostgreSQL server (the cluster's tracker store)
  nginx     the cluster's nginx configuration
  cluster   Cluster: PostgreSQL, Redis, N Rasa servers and nginx on loopback
  loadgen   the cluster's load generator (docs/DEPLOY.md)
  lockcheck simultaneous messages of one conversation, and what the store recorded
"""
