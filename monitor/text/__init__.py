"""Text analysis: tokens, negativity, topic, region (属地) and severity signals, each with its explanation."""
