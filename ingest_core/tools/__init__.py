"""Small checks used by the test runner."""
