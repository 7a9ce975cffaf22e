"""Text every stage shares: sentence splitting, the output sanitiser, instruction-shaped sentences."""
