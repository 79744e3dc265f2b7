from batch.sandbox.cli import sandbox_command

sandbox_command(prog_name="python -m batch.sandbox")
