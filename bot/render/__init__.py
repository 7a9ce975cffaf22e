"""Pure rendering: service models in, Discord-sized messages (and Markdown) out."""
