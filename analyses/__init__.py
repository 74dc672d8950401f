"""Statistics, the funnel-effect battery and studies."""
