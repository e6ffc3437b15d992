from .cli import sf_emulator_command

sf_emulator_command(prog_name="python -m salesforce_emulator")
