"""舆情哨 (yuqing): public-opinion monitoring and statutory response alerting."""
