"""Compatibility: `python -m argo_scheduler.engines.local_agent` and the old import path of the agent.

Agents started before the local engine became a package run this command
line, and configuration names `argo_scheduler.engines.local_agent.LocalAgent`;
both keep working. The agent lives in argo_scheduler.engines.local.agent.
"""

from __future__ import annotations

import sys

from .local.agent import AgentLock, LocalAgent, agent_running, ensure_agent, main, run_agent, stop_agent

__all__ = ["AgentLock", "LocalAgent", "agent_running", "ensure_agent", "main", "run_agent", "stop_agent"]

if __name__ == "__main__":
    sys.exit(main())
