"""Where workflows run: Argo Server, the Kubernetes API, or this machine."""
