"""Where sources disagree: checkable values, statement alignment and clashes."""
