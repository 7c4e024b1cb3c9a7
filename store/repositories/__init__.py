"""The repositories over a unit of work's session (store/uow.py), one module per area."""
