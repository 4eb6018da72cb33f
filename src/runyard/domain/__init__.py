"""Domain rules of runyard: the run state machine and what each change records. No I/O."""
