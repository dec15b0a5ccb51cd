SELECT fare + tip AS total FROM trips
