output "consoles" {
  description = "What each region's console holds."
  value = {
    region1 = module.region1.summary
    region2 = module.region2.summary
    region3 = module.region3.summary
  }
}
