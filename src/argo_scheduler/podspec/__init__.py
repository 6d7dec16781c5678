"""How the job's pod gets the user's files, environment and identity."""
