"""callscope: self-hostable call tracking and call analytics."""

__version__ = "0.1.0"
