"""A test-only verifiers v1 harness that runs its chat loop inside the rollout's process.

The stock ``null`` harness launches a PEP-723 script through ``uv`` in the runtime, which needs
PyPI (or a pre-seeded uv cache) the first time. The v1 harness contract
(``verifiers.v1.harness.Harness.launch``) allows the loop to run in-process instead, as long as
every model call goes through the rollout's interception ``endpoint`` with ``secret`` as bearer
token; the interception records the exchange in the trace, so the reply becomes
``trace.last_reply`` and the task's rewards and metrics score it.

Select it with ``--env.agent.harness.id inproc-harness`` (or
``{"env": {"agent": {"harness": {"id": "inproc-harness"}}}}``) and put ``tests/`` on
``PYTHONPATH``: the v1 loader imports a harness id as a module (``inproc-harness`` ->
``inproc_harness``) and takes the one Harness subclass its ``__all__`` exports.
"""

from __future__ import annotations

from typing import Any

from openai import AsyncOpenAI
from verifiers.v1.clients import ModelContext
from verifiers.v1.configs.harness import HarnessConfig
from verifiers.v1.dialects.chat import message_to_wire
from verifiers.v1.harness import Harness
from verifiers.v1.runtimes import ProgramResult, Runtime
from verifiers.v1.task import TaskData
from verifiers.v1.trace import Trace


class InProcessChatConfig(HarnessConfig):
    timeout: float = 120.0


class InProcessChatHarness(Harness[InProcessChatConfig]):
    """One chat completion per segment: system prompt (if any) and the task prompt, no tools."""

    APPENDS_SYSTEM_PROMPT = True
    SUPPORTS_RESUME = True
    EXECUTES_CODE = False
    NEEDS_CONTAINER = False

    async def launch(
        self,
        ctx: ModelContext,
        trace: Trace,
        runtime: Runtime,
        endpoint: str,
        secret: str,
        mcp_urls: dict[str, str],
        data: TaskData,
    ) -> ProgramResult:
        system, prompt = self.resolve_prompt(data)
        messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
        if isinstance(prompt, str):
            messages.append({"role": "user", "content": prompt})
        elif prompt is not None:
            messages += [message_to_wire(m) for m in prompt]
        client = AsyncOpenAI(base_url=endpoint, api_key=secret, timeout=self.config.timeout, max_retries=0)
        try:
            reply = await client.chat.completions.create(model=ctx.model, messages=messages)
        finally:
            await client.close()
        return ProgramResult(exit_code=0, stdout=reply.choices[0].message.content or "", stderr="")


__all__ = ["InProcessChatConfig", "InProcessChatHarness"]
