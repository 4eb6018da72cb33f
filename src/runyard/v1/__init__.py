"""Generated from protos/runyard/v1 by `make gen`; do not edit."""
