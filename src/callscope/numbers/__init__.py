"""Traffic sources, DNI pools and tracking numbers (static ones bound to a source, pooled ones)."""
