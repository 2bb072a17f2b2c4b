# Reference values for tests/estimate/test_nonparametric.py (R survival::survfit).
# Run from tests/report/data: Rscript make_fixtures.R
library(survival)
d <- read.csv("km_right.csv")
f <- survfit(Surv(time, event) ~ 1, data = d)
write.csv(data.frame(time = f$time, surv = f$surv), "km_right_survfit.csv", row.names = FALSE)
e <- read.csv("turnbull_interval.csv")
# (low, high] with low == high exact, high = Inf right-censored
g <- survfit(Surv(low, high, type = "interval2") ~ 1, data = e)
write.csv(data.frame(time = g$time, surv = g$surv), "turnbull_survfit.csv", row.names = FALSE)
