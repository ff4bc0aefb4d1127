"""The public portal (信息公示): published credit grades, lists, campaign results, estate sheets."""
