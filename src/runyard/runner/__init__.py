"""The reference runner, usable from Python:

    from runyard.runner import Runner, RunnerOptions

    with Runner(RunnerOptions(server="127.0.0.1:50051", token=TOKEN)) as runner:
        outcome = runner.execute(["make", "build"], automation=AUTOMATION_NAME)
        print(outcome.run.state, outcome.exit_code)

`runyard exec` (runyard.commands.exec_command) is this on the command line.
"""

from runyard.runner.runner import Outcome, Runner, RunnerOptions

__all__ = ["Outcome", "Runner", "RunnerOptions"]
