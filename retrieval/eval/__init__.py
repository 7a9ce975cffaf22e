"""Evaluations on the RealTime QA and RGB conflict data."""
