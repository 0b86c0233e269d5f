// Progressive enhancement: "Use my location" beside the place box. The browser's coordinates (rounded to about
// 100 metres) go only to this site, in the search address; nothing is sent to anyone else. Without JavaScript,
// or if the person says no, the box works as before.

function round (value) {
  return Math.round(value * 1000) / 1000
}

function enhance (holder) {
  if (!('geolocation' in navigator)) return
  const input = document.getElementById(holder.getAttribute('data-target'))
  if (!input || !input.form) return
  const button = document.createElement('button')
  button.type = 'button'
  button.className = 'govuk-button govuk-button--secondary govuk-!-margin-bottom-2'
  button.textContent = 'Use my location'
  const status = document.createElement('p')
  status.className = 'govuk-body govuk-!-margin-bottom-2'
  status.setAttribute('aria-live', 'polite')
  holder.appendChild(button)
  holder.appendChild(status)
  button.addEventListener('click', function () {
    button.disabled = true
    status.textContent = 'Finding your location…'
    navigator.geolocation.getCurrentPosition(function (position) {
      input.value = round(position.coords.latitude) + ',' + round(position.coords.longitude)
      input.form.submit()
    }, function () {
      button.disabled = false
      status.textContent = 'We could not find your location. Enter a postcode or town instead.'
    }, { maximumAge: 300000, timeout: 15000 })
  })
}

document.querySelectorAll('[data-module="app-use-location"]').forEach(enhance)
